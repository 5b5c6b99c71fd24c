"""Secret-detection cases shaped like the published positive and negative samples of
detect-secrets (Yelp/detect-secrets ``tests/plugins/*_test.py``) and gitleaks
(gitleaks/gitleaks ``cmd/generate/config/rules/*.go`` true/false positives), for the token
types auditor claims. Every value here is our own: random tokens drawn from a seeded
generator in the shape the peers test, and negatives written the way their negatives are
(placeholders, documentation keys, wrong lengths, references, decoded forms).

Each case is one small file (name and text) and whether a secret is in it. Used by
``tests/scanners/test_secret_peer_cases.py`` (auditor must get every case right) and by
``benchmarks/bench_secrets_peers.py`` (auditor's and detect-secrets' recall and false
positives on the same files, in one run).
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

__all__ = ["CASES", "Case"]


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    family: str
    name: str  # file name (its suffix decides the format)
    text: str
    secret: bool  # True: a real-looking secret is in the file; False: a decoy
    #: ``tuning``: written while the detectors were tuned; ``held-out``: written after,
    #: in other formats and contexts, and never tuned on
    split: str = "tuning"


_RNG = random.Random(20261207)
ALNUM = string.ascii_letters + string.digits
UPPER32 = string.ascii_uppercase + "234567"


def _r(alphabet: str, n: int) -> str:
    while True:
        value = "".join(_RNG.choice(alphabet) for _ in range(n))
        # NOTE: a random draw can look like filler (a run, few letters); redraw then
        if len(set(value)) > min(n // 2, 8) and not any(c * 4 in value for c in value):
            return value


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(header: dict[str, str], claims: dict[str, object], signed: bool = True) -> str:
    head = _b64url(json.dumps(header, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}." + (_r(ALNUM + "-_", 43) if signed else "")


def _pem(label: str) -> str:
    body = base64.b64encode(bytes(_RNG.randrange(256) for _ in range(600))).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


def _cases() -> list[Case]:
    out: list[Case] = []

    def pos(family: str, name: str, text: str) -> None:
        out.append(Case(f"{family}-p{sum(c.family == family for c in out)}", family, name,
                        text, True))

    def neg(family: str, name: str, text: str) -> None:
        out.append(Case(f"{family}-n{sum(c.family == family for c in out)}", family, name,
                        text, False))

    # ---- AWS access key ids ----------------------------------------------------------------
    for prefix in ("AKIA", "ASIA", "ABIA", "ACCA"):
        pos("aws", "aws.env", f"AWS_ACCESS_KEY_ID={prefix}{_r(UPPER32, 16)}\n")
    pos("aws", "aws.yaml", f"s3:\n  key_id: A3T{_r(string.ascii_uppercase + string.digits, 17)}\n")
    neg("aws", "aws.env", "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX\n")
    neg("aws", "aws.yaml", "aws_access_key: AKIAIOSFODNN7EXAMPLE\n")
    neg("aws", "aws.ini", "[default]\nkey = akia" + _r(string.ascii_lowercase, 16) + "\n")
    neg("aws", "notes.yaml", "motto: WHENINASIAEATRICEWITHCHOPSTICKSDAILY\n")
    neg("aws", "aws.env", "AWS_ACCESS_KEY_ID=AKIAQ2Z\n")
    # ---- GitHub ----------------------------------------------------------------------------
    for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"):
        pos("github", "gh.env", f"GH_TOKEN={prefix}{_r(ALNUM, 36)}\n")
    pos("github", "gh.yaml", f"github:\n  pat: github_pat_{_r(ALNUM, 22)}_{_r(ALNUM, 59)}\n")
    neg("github", "gh.env", "GH_TOKEN=ghp_" + "x" * 36 + "\n")
    neg("github", "gh.yaml", "github:\n  token: ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n")
    # ---- GitLab ----------------------------------------------------------------------------
    for prefix, n in (("glpat-", 20), ("gldt-", 20), ("glrt-", 20), ("glsoat-", 20),
                      ("glft-", 20), ("glffct-", 20), ("glimt-", 25), ("glagent-", 50),
                      ("gloas-", 64)):
        pos("gitlab", "ci.yaml", f"deploy:\n  token: {prefix}{_r(ALNUM, n)}\n")
    pos("gitlab", "ci.env", f"CI_JOB_TOKEN=glcbt-{_r(ALNUM, 2)}_{_r(ALNUM, 20)}\n")
    pos("gitlab", "ci.env", f"TRIGGER=glptt-{_r('0123456789abcdef', 40)}\n")
    pos("gitlab", "runner.toml", f'[runner]\ntoken = "GR1348941{_r(ALNUM, 20)}"\n')
    neg("gitlab", "ci.yaml", "deploy:\n  token: glpat-XXXXXXXXXXX-XXXXXXXX\n")
    neg("gitlab", "ci.env", "TRIGGER=glptt-" + "x" * 40 + "\n")
    neg("gitlab", "runner.toml", '[runner]\ntoken = "GR1348941XXXXXXXXXXXXXXXXXXXX"\n')
    neg("gitlab", "runner.toml", '[runner]\ntoken = "GR134894145645645645645645645"\n')
    # NOTE: the token shapes alone, under neutral keys (under a key such as ``token`` any
    # literal is a password assignment, for both tools)
    neg("gitlab", "ci.yaml", "deploy:\n  ref: glpat_" + _r(ALNUM, 20) + "\n")  # wrong separator
    neg("gitlab", "ci.yaml", "deploy:\n  label: gldt-" + _r(ALNUM, 12) + "\n")  # too short
    # ---- Slack -----------------------------------------------------------------------------
    digits = string.digits
    pos("slack", "slack.env", f"SLACK_BOT=xoxb-{_r(digits, 12)}-{_r(digits, 13)}-{_r(ALNUM, 24)}\n")
    pos("slack", "slack.json", json.dumps({"user_token": f"xoxp-{_r(digits, 11)}-"
                                           f"{_r(digits, 11)}-{_r(digits, 11)}-"
                                           f"{_r('0123456789abcdef', 32)}"}))
    pos("slack", "slack.yaml", f"legacy:\n  token: xoxs-{_r(digits, 10)}-{_r(digits, 10)}-"
                               f"{_r(digits, 10)}-{_r('0123456789abcdef', 10)}\n")
    pos("slack", "slack.env", f"BOT=xoxb-{_r(digits, 11)}-{_r(ALNUM, 24)}\n")
    pos("slack", "hooks.yaml", f"alerts:\n  url: https://hooks.slack.com/services/T{_r(UPPER32, 8)}"
                               f"/B{_r(UPPER32, 10)}/{_r(ALNUM, 24)}\n")
    pos("slack", "hooks.yaml", "flows:\n  url: https://hooks.slack.com/workflows/"
                               f"T0{_r(UPPER32, 9)}/A0{_r(UPPER32, 9)}/{_r(digits, 18)}/"
                               f"{_r(ALNUM, 24)}\n")
    pos("slack", "hooks.env", f"TRIGGER_URL=https://hooks.slack.com/triggers/{_r(ALNUM, 52)}\n")
    neg("slack", "slack.env", "SLACK_BOT=xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx\n")
    neg("slack", "slack.env", "SLACK_BOT=xoxb-xxx\n")
    neg("slack", "slack.env", "SLACK_BOT=xoxb-12345-abcd234\n")
    neg("slack", "slack.yaml", "bot:\n  hint: xoxb-xoxb-my-bot-token\n")
    neg("slack", "hooks.yaml", "alerts:\n  url: https://hooks.slack.com/services/Txxxxxxxx/"
                               "Bxxxxxxxx/xxxxxxxxxxxxxxxxxxxxxxxx\n")
    neg("slack", "links.yaml", "photo: https://example.vn/2018-250-xoxo-gala-1.jpg\n")
    # ---- Stripe ----------------------------------------------------------------------------
    pos("stripe", "pay.env", f"STRIPE_SECRET=sk_live_{_r(ALNUM, 24)}\n")
    pos("stripe", "pay.env", f"STRIPE_RESTRICTED=rk_live_{_r(ALNUM, 24)}\n")
    pos("stripe", "pay.yaml", f"stripe:\n  test_key: sk_test_{_r(ALNUM, 30)}\n")
    neg("stripe", "pay.env", f"STRIPE_PUBLISHABLE=pk_live_{_r(ALNUM, 24)}\n")
    neg("stripe", "pay.env", "STRIPE_SECRET=sk_live_\n")
    neg("stripe", "pay.yaml", "stripe:\n  test_key: sk_test_" + "x" * 24 + "\n")
    # ---- JWT -------------------------------------------------------------------------------
    pos("jwt", "api.env", "TOKEN=" + _jwt({"alg": "HS256", "typ": "JWT"},
                                         {"sub": "c-1", "iat": 1764547200}) + "\n")
    pos("jwt", "api.yaml", "bearer: " + _jwt({"typ": "JWT", "alg": "RS256"},
                                             {"name": "Lê Thị Hoa", "iat": 1764547200}) + "\n")
    pos("jwt", "api.yaml", "unsigned: " + _jwt({"alg": "none"}, {"sub": "admin"}, False) + "\n")
    pos("jwt", "api.env", "TOKEN=" + _jwt({"alg": "HS256", "typ": "JWT"},
                                         {"sub": "c-2"}, False).rstrip(".") + "\n")
    neg("jwt", "api.yaml", 'decoded: \'{"alg":"HS256","typ":"JWT"}.{"name":"Hoa"}.'
                           + _r(ALNUM, 43) + "'\n")
    neg("jwt", "api.yaml", "opaque: " + _b64url(b"not a json header at all").replace("e", "E")
        + "." + _b64url(b"nor a json payload here") + "." + _r(ALNUM, 43) + "\n")
    neg("jwt", "api.yaml", "short: eyJAAAA.eyJBBB\n")
    neg("jwt", "api.yaml", "three: eyJBB.eyJCC.eyJDDDD\n")
    neg("jwt", "api.yaml", "header_only: " + _b64url(b'{"alg":"HS256","typ":"JWT"}') + "\n")
    # ---- private keys ----------------------------------------------------------------------
    for label in ("RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "PRIVATE KEY",
                  "OPENSSH PRIVATE KEY"):
        pos("private-key", "tls.yaml", "tls:\n  key: |\n" + _indent(_pem(label), 4) + "\n")
    neg("private-key", "README.yaml", "help: |\n  Paste your key between "
                                      "-----BEGIN PRIVATE KEY-----\n"
                                      "  and -----END PRIVATE KEY----- lines.\n")
    neg("private-key", "tls.yaml", "tls:\n  public: |\n" + _indent(_pem("PUBLIC KEY"), 4) + "\n")
    # ---- passwords under secret-named keys (detect-secrets' keyword detector shapes) ------------
    pw = _r(ALNUM + "!#%&*+-=?@^_", 18)
    pos("keyword", "svc.yaml", f"apikey: \"{pw}\"\n")
    pos("keyword", "svc.py", f'the_password = "{pw}"\n')
    pos("keyword", "svc.py", f'some_dict["secret"] = "{pw}"\n')
    pos("keyword", "svc.go", f'apikey := "{pw}"\n')
    pos("keyword", "svc.js", f"const config = {{ apiKey: '{pw}' }};\n")
    pos("keyword", "Svc.java", f'class S {{ String password = "{pw}"; }}\n')
    pos("keyword", "svc.env", f"MY_PASSWORD={pw}\n")
    neg("keyword", "svc.yaml", 'theapikey: ""\n')
    neg("keyword", "svc.py", 'my_password = ""\n')
    neg("keyword", "svc.py", 'my_password = "fakesecret"\n')
    neg("keyword", "svc.go", 'theapikey := "somefakekey"\n')
    neg("keyword", "svc.py", "def login(username, password):\n"
                             "    return auth(username=username, password=password)\n")
    neg("keyword", "svc.py", 'if password == "' + _r(ALNUM, 12) + '":\n    pass\n')
    neg("keyword", "svc.yaml", "password: ${link}\n")
    neg("keyword", "svc.js", "const cfg = { apiKey: this.apiKey };\n")
    neg("keyword", "svc.py", "my_password = request.json_body['password']\n")
    neg("keyword", "svc.env", "MY_PASSWORD=True\n")
    neg("keyword", "svc.yaml", "password: <your-password>\n")
    neg("keyword", "svc.yaml", "token: '{Token}'\n")
    neg("keyword", "svc.env", "SECRET_KEY=aaaaaaaaaaaaaaaa\n")
    neg("keyword", "svc.env", "SECRET_KEY=!!!!!!!!!!\n")
    return out


def _held_out() -> list[Case]:
    """The same families in other containers (source code, .properties, TOML, Terraform,
    JSON), written after the tuning round; the detectors were not changed for them."""
    out: list[Case] = []

    def add(family: str, name: str, text: str, secret: bool) -> None:
        n = sum(c.family == family for c in out)
        out.append(Case(f"held-{family}-{n}", family, name, text, secret, "held-out"))

    add("aws", "application.properties", f"cloud.aws.accessKeyId=AKIA{_r(UPPER32, 16)}\n", True)
    add("aws", "s3.tf", f'provider "aws" {{\n  access_key = "ASIA{_r(UPPER32, 16)}"\n}}\n', True)
    add("aws", "s3.tf", 'provider "aws" {\n  access_key = "AKIAIOSFODNN7EXAMPLE"\n}\n', False)
    add("aws", "aws.json", '{"AccessKeyId": "AKIA' + "X" * 16 + '"}', False)
    add("github", "ci.js", f"const ghToken = 'ghp_{_r(ALNUM, 36)}';\n", True)
    add("github", "ci.py", 'GH_TOKEN = "ghp_<your token here>"\n', False)
    add("gitlab", "runner.toml", f'[[runners]]\ntoken = "glrt-{_r(ALNUM, 20)}"\n', True)
    add("gitlab", "register.sh", f"#!/bin/sh\nexport REG=GR1348941{_r(ALNUM, 20)}\n", True)
    add("gitlab", "ci.py", 'PAT = "glpat-' + "x" * 20 + '"\n', False)
    add("slack", "notify.go", f'package n\nconst bot = "xoxb-{_r(string.digits, 12)}-'
                              f'{_r(string.digits, 13)}-{_r(ALNUM, 24)}"\n', True)
    add("slack", "hooks.json", json.dumps({"webhook": "https://hooks.slack.com/services/T"
                                           + _r(UPPER32, 9) + "/B" + _r(UPPER32, 11) + "/"
                                           + _r(ALNUM, 24)}), True)
    add("slack", "notify.py", 'SLACK_TOKEN = "xoxb-your-bot-token-here"\n', False)
    add("stripe", "Pay.java", f'class Pay {{ static String KEY = "sk_live_{_r(ALNUM, 28)}"; }}\n',
        True)
    add("stripe", "pay.properties", "stripe.secret=sk_live_" + "X" * 24 + "\n", False)
    add("jwt", "auth.ts", "export const demoToken = '" + _jwt(
        {"alg": "HS512", "typ": "JWT"}, {"sub": "officer-9", "exp": 1798761600}) + "';\n", True)
    add("jwt", "fixture.json", json.dumps({"token": _jwt({"alg": "none", "typ": "JWT"},
                                                         {"sub": "root"}, False)}), True)
    add("jwt", "auth.py", "HEADER = '" + _b64url(b'{"alg":"RS256","typ":"JWT"}') + "'\n", False)
    add("private-key", "keys.py", 'KEY = """' + _pem("EC PRIVATE KEY") + '"""\n', True)
    add("private-key", "docs.yaml", "example: |\n  -----BEGIN RSA PRIVATE KEY-----\n  ...\n"
                                    "  -----END RSA PRIVATE KEY-----\n", False)
    pw = _r(ALNUM + "!#%&*+-=?@^_", 16)
    add("keyword", "db.properties", f"spring.datasource.password={pw}\n", True)
    add("keyword", "app.ini", f"[mail]\nsmtp_password = {pw}\n", True)
    add("keyword", "backup.sh", f"#!/bin/bash\nPGPASSWORD='{pw}' pg_dump portal > /tmp/x\n", True)
    add("keyword", "db.properties", "spring.datasource.password=${DB_PASSWORD}\n", False)
    add("keyword", "appsettings.json", '{"Smtp": {"Password": "{Password}"}}', False)
    add("keyword", "vars.tf", 'variable "token" {\n  default = "<token>"\n}\n', False)
    return out


CASES: tuple[Case, ...] = tuple(_cases()) + tuple(_held_out())
