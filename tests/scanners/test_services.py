"""Services scanner: nginx, Apache, sshd, postgresql.conf, pg_hba, my.cnf, redis.conf."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest
from auditor.scanners.services import ServicesScanner
from auditor.scanners.services.apache import ssl_protocols

from auditor.errors import TargetError
from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, ScanOptions

SCANNER = ServicesScanner()


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def scan(path: Path, kind: str | None = None) -> list[Observation]:
    if kind is None:
        head = path.read_bytes()[:8192]
        claim = SCANNER.claim(Candidate(str(path), path.name, path.name, len(head), head))
        assert claim is not None, f"{path} not claimed"
        kind = claim.kind
    target = Target(uri=f"cfg/{path.name}", locator=str(path), kind=kind, scanner="services")
    out: list[Observation | Problem] = list(
        SCANNER.scan(target, ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"k")))
    assert all(isinstance(o, Observation) for o in out)
    return [o for o in out if isinstance(o, Observation)]


def of(obs: list[Observation], kind: str) -> list[Observation]:
    return [o for o in obs if o.kind == kind]


def setting_of(obs: list[Observation], key: str) -> Observation:
    (found,) = [o for o in of(obs, "config.setting") if o.attributes["key"] == key]
    return found


# ---- nginx -------------------------------------------------------------------------------
NGINX_MAIN = """\
events { worker_connections 10; }
http {
    # comment with a ; and a { brace
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers 'ECDHE+AESGCM:!ECDSA';
    include sites/*.conf;
}
"""
NGINX_SITE = """\
server {
    listen 443 ssl;
    server_name "a.example.vn";
    ssl_protocols TLSv1 TLSv1.2;
}
server {
    listen 8443 ssl;
    server_name b.example.vn;
}
server {
    listen 80;
    server_name b.example.vn;
    return 301 https://$host$request_uri;
}
server {
    listen 127.0.0.1:8080;
    server_name status;
}
"""


def test_nginx_includes_inheritance_and_contexts(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", NGINX_MAIN)
    write(tmp_path, "sites/a.conf", NGINX_SITE)
    obs = scan(main)
    tls = of(obs, "tls.config")
    assert [(t.location.uri, t.location.line, t.attributes["server_name"]) for t in tls] == [
        ("cfg/sites/a.conf", 1, "a.example.vn"), ("cfg/sites/a.conf", 6, "b.example.vn")]
    a, b = tls
    assert a.attributes["protocols"] == ["TLSv1", "TLSv1.2"]  # server overrides http
    assert a.attributes["deprecated_protocols"] == ["TLSv1"]
    assert a.attributes["protocols_at"] == "cfg/sites/a.conf:4"
    assert b.attributes["protocols"] == ["TLSv1.2", "TLSv1.3"]  # inherited from http
    assert b.attributes["suites"] == ["ECDHE-RSA-AES256-GCM-SHA384",
                                      "ECDHE-RSA-AES128-GCM-SHA256"]
    assert b.attributes["ciphers_at"] == "cfg/nginx.conf:5"
    listeners = of(obs, "service.listener")
    assert [(x.attributes["port"], x.attributes["redirects_to_https"],
             x.attributes["non_loopback"]) for x in listeners] == [(80, True, True),
                                                                   (8080, False, False)]
    ssl_setting = setting_of(obs, "http.ssl_protocols")
    assert ssl_setting.location.line == 4 and ssl_setting.attributes["value"] == \
        "TLSv1.2 TLSv1.3"


def test_nginx_auth_paths(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", """\
        http {
            server {
                listen 80;
                location / { root /srv; }
                location ~ ^/(account|static)/ { root /srv; }
                location /intranet { auth_basic "staff"; }
            }
        }
        """)
    (lis,) = of(scan(main), "service.listener")
    assert lis.attributes["auth_paths"] == ["^/(account|static)/", "auth_basic"]


def test_nginx_braced_variables(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", """\
        http {
            server {
                listen 80;
                return 301 https://${host}${request_uri};
            }
        }
        """)
    obs = scan(main)
    assert setting_of(obs, "http.server.return").attributes["value"] == \
        "301 https://${host}${request_uri}"
    (lis,) = of(obs, "service.listener")
    assert lis.attributes["redirects_to_https"] is True


def test_assume_openssl3_option(tmp_path: Path) -> None:
    main = write(tmp_path, "postgresql.conf", "ssl = on\n")  # default HIGH:MEDIUM:+3DES:!aNULL
    target = Target(uri="cfg/postgresql.conf", locator=str(main), kind="postgresql",
                    scanner="services")

    def tls_of(params: dict[str, Any]) -> Observation:
        options = ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"k", params=params)
        (found,) = [o for o in SCANNER.scan(target, options)
                    if isinstance(o, Observation) and o.kind == "tls.config"]
        return found

    default = tls_of({})
    assert "DES-CBC3-SHA" in default.attributes["weak_suites"]
    modern = tls_of({"services.assume_openssl3": True})
    assert modern.attributes["weak_suites"] == [] and modern.attributes["openssl3_assumed"]
    assert modern.attributes["source"] == "postgresql"  # service facts kept
    assert modern.location == default.location


def test_nginx_quic_and_unix_socket_listeners(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", """\
        http {
            server { listen 443 quic reuseport; listen 443 ssl; server_name q.example.vn; }
            server { listen unix:/run/app.sock; server_name local; }
        }
        """)
    obs = scan(main)
    assert [t.attributes["server_name"] for t in of(obs, "tls.config")] == ["q.example.vn"]
    (sock,) = of(obs, "service.listener")
    assert sock.attributes["non_loopback"] is False


def test_nginx_defaults_when_nothing_configured(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", """\
        http {
            server { listen 443 ssl; server_name x.example.vn; }
        }
        """)
    (tls,) = of(scan(main), "tls.config")
    assert tls.attributes["protocols"] == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert tls.attributes["protocols_configured"] is False
    assert tls.attributes["cipher_string"] is None
    assert "3DES" not in tls.attributes["suite_flags"]  # HIGH:!aNULL:!MD5


def test_nginx_fragment_covered_by_main_file_is_not_repeated(tmp_path: Path) -> None:
    write(tmp_path, "nginx.conf", NGINX_MAIN)
    site = write(tmp_path, "sites/a.conf", NGINX_SITE)
    assert scan(site, "nginx") == []
    alone = write(tmp_path / "other", "site.conf", NGINX_SITE)
    assert len(of(scan(alone, "nginx"), "tls.config")) == 2


@pytest.mark.parametrize(("text", "line", "message"), [
    ("http {\n  server {\n    listen 80;\n", 2, "block 'server' is never closed"),
    ("http {\n  listen 80\n}\n", 2, "directive 'listen' is not terminated by ';'"),
    ("events {}\n}\n", 2, "unexpected '}'"),
    ("http {\n  server_name 'unterminated;\n}\n", 2, "unterminated quoted string"),
    ("events {}\nworker_processes 1", 2,
     "directive 'worker_processes' is not terminated by ';' (truncated file?)"),
])
def test_nginx_malformed(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, "nginx.conf", text)
    with pytest.raises(TargetError) as err:
        scan(path)
    assert err.value.line == line
    assert f"cfg/nginx.conf:{line}: {message}" in str(err.value)


def test_missing_include_is_a_problem_and_the_rest_is_read(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", """\
        http {
            include missing.conf;
            include none/*.conf;
            server { listen 443 ssl; }
        }
        """)
    target = Target(uri="cfg/nginx.conf", locator=str(main), kind="nginx", scanner="services")
    out = list(SCANNER.scan(target, ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"k")))
    problems = [p for p in out if isinstance(p, Problem)]
    assert [p.message for p in problems] == [
        "cfg/nginx.conf:2: included file 'missing.conf' not found: the settings it holds are "
        "not audited"]  # a wildcard that matches nothing is normal
    assert [o.kind for o in out if isinstance(o, Observation)].count("tls.config") == 1


@pytest.mark.parametrize(("name", "text"), [
    ("nginx.conf", "events {}\nQ8xJ3vL0pZ7wK2mN5bR9tY4u"),
    ("sshd_config", "Port 22\nQ8xJ3vL0pZ7wK2mN5bR9tY4u\n"),
    ("pg_hba.conf", "Q8xJ3vL0pZ7wK2mN5bR9tY4u all all 0.0.0.0/0 trust\n"),
])
def test_error_messages_never_echo_secret_looking_words(tmp_path: Path, name: str,
                                                        text: str) -> None:
    with pytest.raises(TargetError) as err:
        scan(write(tmp_path, name, text))
    assert "Q8xJ3vL0pZ7wK2mN5bR9tY4u" not in str(err.value)
    assert "24-character word" in str(err.value)


def test_absolute_include_never_reads_the_scanning_machine(tmp_path: Path) -> None:
    # /etc/hostname exists on the machine running the scan; the audited tree has none
    main = write(tmp_path, "nginx.conf", "http { include /etc/hostname; }\n")
    target = Target(uri="cfg/nginx.conf", locator=str(main), kind="nginx", scanner="services")
    out = list(SCANNER.scan(target, ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"k")))
    assert [type(o).__name__ for o in out] == ["Problem"]
    write(tmp_path, "hostname", "server_tokens off;\n")  # ...but one inside the tree is used
    out = list(SCANNER.scan(target, ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"k")))
    assert [o.attributes["key"] for o in out if isinstance(o, Observation)] == [
        "http.server_tokens"]


def test_nginx_include_loop_is_an_error(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http { include loop.conf; }\n")
    write(tmp_path, "loop.conf", "include loop.conf;\n")
    with pytest.raises(TargetError, match="include loop"):
        scan(main)


# ---- Apache ------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "expected"), [
    (("all",), ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    (("all", "-SSLv3"), ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    (("-all", "+TLSv1.2", "+TLSv1.3"), ["TLSv1.2", "TLSv1.3"]),
    (("TLSv1.2",), ["TLSv1.2"]),
    (("all", "-SSLv3", "-TLSv1", "-TLSv1.1"), ["TLSv1.2", "TLSv1.3"]),
])
def test_apache_ssl_protocol(args: tuple[str, ...], expected: list[str]) -> None:
    assert ssl_protocols(args) == expected


def test_apache_vhosts(tmp_path: Path) -> None:
    main = write(tmp_path, "apache2.conf", """\
        SSLProtocol all -SSLv3
        <IfModule ssl_module>
          SSLCipherSuite HIGH:!aNULL
        </IfModule>
        Include sites/*.conf
        """)
    write(tmp_path, "sites/x.conf", """\
        <VirtualHost *:443>
            ServerName x.example.vn
            SSLEngine on
            SSLProtocol -all \\
                +TLSv1.2
        </VirtualHost>
        <VirtualHost *:80>
            ServerName x.example.vn
        </VirtualHost>
        """)
    obs = scan(main)
    (tls,) = of(obs, "tls.config")
    assert tls.attributes["protocols"] == ["TLSv1.2"]
    assert tls.attributes["protocols_at"] == "cfg/sites/x.conf:4"
    assert tls.attributes["cipher_string"] == "HIGH:!aNULL"
    (plain,) = of(obs, "service.listener")
    assert plain.location.line == 7 and plain.attributes["redirects_to_https"] is False


def test_apache_tls13_cipher_suites_and_ssl_prefix(tmp_path: Path) -> None:
    main = write(tmp_path, "apache2.conf", """\
        <VirtualHost *:443>
            SSLEngine on
            SSLProtocol TLSv1.2 +TLSv1.3
            SSLCipherSuite SSL ECDHE+AESGCM
            SSLCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384
        </VirtualHost>
        """)
    (tls,) = of(scan(main), "tls.config")
    assert tls.attributes["cipher_string"] == "ECDHE+AESGCM"
    assert tls.attributes["tls13_suites"] == ["TLS_AES_256_GCM_SHA384"]
    assert tls.attributes["ciphers_at"] == "cfg/apache2.conf:4"


def test_nginx_stream_servers(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", """\
        stream {
            ssl_protocols TLSv1.1 TLSv1.2;
            server { listen 5433 ssl; proxy_pass db:5432; }
            server { listen 6000; proxy_pass backend:6000; }
        }
        """)
    obs = scan(main)
    (tls,) = of(obs, "tls.config")
    assert tls.location.key == "stream.server" and tls.attributes["deprecated_protocols"] == [
        "TLSv1.1"]
    assert of(obs, "service.listener") == []


def test_apache_unclosed_section(tmp_path: Path) -> None:
    path = write(tmp_path, "httpd.conf", "<VirtualHost *:80>\nServerName x\n")
    with pytest.raises(TargetError, match=r"httpd.conf:1: section 'VirtualHost' is never"):
        scan(path)


# ---- sshd --------------------------------------------------------------------------------
SSHD = """\
# first value wins
PermitRootLogin no
PermitRootLogin yes
PasswordAuthentication no
Ciphers +aes128-cbc
MACs -hmac-sha1*,umac-64*
Include conf.d/*.conf

Match User deploy Address 10.0.0.0/8
    PasswordAuthentication yes
    PermitRootLogin yes
"""


def _ssh(obs: list[Observation], context: str, setting: str) -> Observation:
    (found,) = [o for o in of(obs, "ssh.config") if o.attributes["context"] == context
                and o.attributes["setting"] == setting]
    return found


def test_sshd_effective_settings_and_match(tmp_path: Path) -> None:
    main = write(tmp_path, "sshd_config", SSHD)
    write(tmp_path, "conf.d/extra.conf", "PermitEmptyPasswords yes\nX11Forwarding yes\n")
    obs = scan(main)
    root = _ssh(obs, "global", "permit_root_login")
    assert (root.attributes["value"], root.location.line) == (False, 2)
    empty = _ssh(obs, "global", "permit_empty_passwords")
    assert empty.attributes["value"] is True
    assert (empty.location.uri, empty.location.line) == ("cfg/conf.d/extra.conf", 1)
    ciphers = _ssh(obs, "global", "ciphers")
    assert ciphers.attributes["value"][-1] == "aes128-cbc"
    assert ciphers.attributes["weak"] == ["aes128-cbc"]
    macs = _ssh(obs, "global", "macs")
    assert not any(m.startswith(("hmac-sha1", "umac-64")) for m in macs.attributes["value"])
    kex = _ssh(obs, "global", "kex")
    assert kex.attributes["explicit"] is False and kex.attributes["weak"] == []
    match = "User deploy Address 10.0.0.0/8"
    pw = _ssh(obs, match, "password_authentication")
    assert (pw.attributes["value"], pw.location.line) == (True, 10)
    assert {o.attributes["setting"] for o in of(obs, "ssh.config")
            if o.attributes["context"] == match} == {"password_authentication",
                                                     "permit_root_login"}
    assert setting_of(obs, "sshd.Match.User deploy Address 10.0.0.0/8.PermitRootLogin")


def test_sshd_keyboard_interactive_knows_use_pam(tmp_path: Path) -> None:
    text = ("UsePAM yes\nPasswordAuthentication no\n"
            "Match User x\n  KbdInteractiveAuthentication yes\n")
    obs = scan(write(tmp_path, "sshd_config", text))
    glob_kbd = _ssh(obs, "global", "kbd_interactive_authentication")
    assert (glob_kbd.attributes["value"], glob_kbd.attributes["use_pam"]) == (True, True)
    match = _ssh(obs, "User x", "kbd_interactive_authentication")
    assert match.attributes["use_pam"] is True and match.location.line == 4


def test_sshd_defaults(tmp_path: Path) -> None:
    obs = scan(write(tmp_path, "sshd_config", "Port 22\n"))
    pw = _ssh(obs, "global", "password_authentication")
    assert (pw.attributes["value"], pw.attributes["explicit"], pw.location.line) == (
        True, False, 1)
    assert _ssh(obs, "global", "permit_root_login").attributes["value"] == "prohibit-password"


def test_sshd_malformed(tmp_path: Path) -> None:
    path = write(tmp_path, "sshd_config", "Port 22\nPermitRootLogin\n")
    with pytest.raises(TargetError, match=r"cfg/sshd_config:2: directive 'PermitRootLogin' "
                                          r"has no value"):
        scan(path)


# ---- PostgreSQL ----------------------------------------------------------------------------
def test_postgresql_conf(tmp_path: Path) -> None:
    main = write(tmp_path, "postgresql.conf", """\
        listen_addresses = '*'          # all
        ssl = on
        ssl_min_protocol_version = 'TLSv1'
        ssl_ciphers = 'HIGH:!aNULL'
        include_if_exists = 'missing.conf'
        include 'extra.conf'
        """)
    write(tmp_path, "extra.conf", "ssl_min_protocol_version = 'TLSv1.2'\n"
                                  "password_encryption = scram-sha-256\n")
    obs = scan(main)
    (tls,) = of(obs, "tls.config")
    assert tls.attributes["protocols"] == ["TLSv1.2", "TLSv1.3"]  # last value wins
    assert tls.location.line == 2
    (lis,) = of(obs, "service.listener")
    assert lis.attributes["tls"] is True and lis.attributes["addresses"] == ["*"]
    assert setting_of(obs, "postgresql.password_encryption").attributes["value"] == \
        "scram-sha-256"


def test_postgresql_ssl_off_by_default(tmp_path: Path) -> None:
    obs = scan(write(tmp_path, "postgresql.conf", "listen_addresses = '10.0.0.1'\n"))
    (lis,) = of(obs, "service.listener")
    assert (lis.attributes["tls"], lis.attributes["ssl_configured"], lis.location.line) == (
        False, False, 1)
    assert of(obs, "tls.config") == []


@pytest.mark.parametrize(("text", "message"), [
    ("ssl = 'on\n", "postgresql.conf:1: unterminated quoted value"),
    ("include 'nope.conf'\n", "postgresql.conf:1: included file 'nope.conf' not found"),
    ("= on\n", "postgresql.conf:1: expected 'name = value'"),
])
def test_postgresql_conf_malformed(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        scan(write(tmp_path, "postgresql.conf", text))


HBA = """\
# TYPE DATABASE USER ADDRESS METHOD
local   all      postgres                       peer
host    all      all      127.0.0.1/32          scram-sha-256
host    "my db"  app,report 10.0.0.0 255.0.0.0  md5
hostssl all      all      0.0.0.0/0             scram-sha-256 clientcert=verify-full
host    all      all      ::/0                  trust
"""


def test_pg_hba_rules(tmp_path: Path) -> None:
    obs = scan(write(tmp_path, "pg_hba.conf", HBA))
    rules = of(obs, "db.hba_rule")
    got = [(r.location.line, r.attributes["type"], r.attributes["database"],
            r.attributes["user"], r.attributes["address"], r.attributes["method"],
            r.attributes["address_any"], r.attributes["address_loopback"]) for r in rules]
    assert got == [
        (2, "local", ["all"], ["postgres"], None, "peer", False, True),
        (3, "host", ["all"], ["all"], "127.0.0.1/32", "scram-sha-256", False, True),
        (4, "host", ["my db"], ["app", "report"], "10.0.0.0/8", "md5", False, False),
        (5, "hostssl", ["all"], ["all"], "0.0.0.0/0", "scram-sha-256", True, False),
        (6, "host", ["all"], ["all"], "::/0", "trust", True, False),
    ]
    assert rules[3].attributes["options"] == ["clientcert"]


@pytest.mark.parametrize(("line", "message"), [
    ("hots all all 0.0.0.0/0 trust", "unknown connection type (an unrecognised 4-character "
     "word; did you mean 'host'?)"),
    ("host all all 0.0.0.0/0", "a 'host' rule needs at least 5 fields, found 4"),
    ("host all all 10.0.0.0 255.0.0.0", "no authentication method"),
    ("host all all", "a 'host' rule needs at least 5 fields, found 3"),
    ("host all all 0.0.0.0/0 trusted", "unknown authentication method (an unrecognised "
     "7-character word; did you mean 'trust'?)"),
])
def test_pg_hba_malformed(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "pg_hba.conf", "local all all peer\n" + line + "\n")
    with pytest.raises(TargetError) as err:
        scan(path)
    assert err.value.line == 2 and f"pg_hba.conf:2: {message}" in str(err.value)


# ---- MySQL / Redis -------------------------------------------------------------------------
def test_my_cnf(tmp_path: Path) -> None:
    main = write(tmp_path, "my.cnf", """\
        [client]
        password = client-canary-pw
        [mysqld]
        bind-address = 0.0.0.0
        tls_version = TLSv1.1,TLSv1.2
        !includedir conf.d
        """)
    write(tmp_path, "conf.d/tls.cnf", "[mysqld]\nrequire-secure-transport = ON\n")
    obs = scan(main)
    (lis,) = of(obs, "service.listener")
    assert (lis.attributes["tls"], lis.attributes["tls_required"]) == (True, True)
    (tls,) = of(obs, "tls.config")
    assert tls.attributes["deprecated_protocols"] == ["TLSv1.1"]
    pw = setting_of(obs, "mysql.client.password")
    assert pw.attributes["value_masked"] is True
    assert "client-canary-pw" not in repr(obs)


def test_my_cnf_without_tls_options_has_no_tls(tmp_path: Path) -> None:
    obs = scan(write(tmp_path, "my.cnf", "[mysqld]\nbind-address = 0.0.0.0\n"))
    (lis,) = of(obs, "service.listener")
    assert (lis.attributes["tls"], lis.attributes["tls_configured"]) == (False, False)
    assert of(obs, "tls.config") == []


def test_my_cnf_malformed(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"my.cnf:1: option outside of any \[group\]"):
        scan(write(tmp_path, "my.cnf", "port = 3306\n[mysqld]\n"))


def test_redis(tmp_path: Path) -> None:
    obs = scan(write(tmp_path, "redis.conf", """\
        bind 127.0.0.1 -::1
        port 6379
        requirepass "redis-canary-secret"
        tls-port 6380
        tls-protocols "TLSv1.1 TLSv1.2"
        """))
    plain, tls_l = of(obs, "service.listener")
    assert (plain.attributes["non_loopback"], plain.attributes["auth_required"]) == (False,
                                                                                   True)
    assert tls_l.attributes["tls"] is True and tls_l.location.line == 4
    (tls,) = of(obs, "tls.config")
    assert tls.attributes["protocols"] == ["TLSv1.1", "TLSv1.2"]
    assert "redis-canary-secret" not in repr(obs)
    secret = setting_of(obs, "redis.requirepass")
    assert secret.attributes["value"] == "•" * 12 + "(19)" and secret.identity.startswith("kh:")
    (found,) = of(obs, "secret")
    assert (found.attributes["detector"], found.location.line) == ("password-assignment", 3)
    assert found.identity == secret.identity


LONG = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384")


def test_secrets_inside_directives_are_masked(tmp_path: Path) -> None:
    obs = scan(write(tmp_path, "nginx.conf", """\
        http {
            server {
                listen 80;
                server_name www.example.vn;
                return 301 https://www.example.vn$request_uri;
                proxy_pass http://svc:url-canary-pw@10.0.0.9:8080/;
                error_page 404 /mail-admin@example.vn;
                ssl_ciphers {LONG};
            }
        }
        """.replace("{LONG}", LONG)))
    text = repr(obs)
    assert "url-canary-pw" not in text and "mail-admin@" not in text
    (found,) = of(obs, "secret")
    assert (found.attributes["detector"], found.location.line) == ("url-password", 6)
    assert setting_of(obs, "http.server.ssl_ciphers").attributes["value"].startswith(
        "ECDHE-ECDSA-AES128-GCM-SHA256:")  # policy strings stay readable


# ---- claims and bad input ------------------------------------------------------------------
@pytest.mark.parametrize(("name", "head", "kind"), [
    ("nginx.conf", b"", "nginx"),
    ("site.conf", b"server {\n listen 80;\n}\n", "nginx"),
    ("vhost.conf", b"<VirtualHost *:80>\n</VirtualHost>\n", "apache"),
    ("sshd_config", b"", "sshd"),
    ("hardening.conf", b"PermitRootLogin no\n", "sshd"),
    ("pg_hba.conf", b"", "pg_hba"),
    ("hba.conf", b"host all all 0.0.0.0/0 md5\n", "pg_hba"),
    ("50-server.cnf", b"[mysqld]\nport=3306\n", "mysql"),
    ("6379.conf", b"requirepass x\nport 6379\n", "redis"),
    ("app.yaml", b"server: {}", None),
    ("ssh_config", b"Host *\n  PasswordAuthentication yes\n", None),
    ("client.conf", b"Host bastion\n  PasswordAuthentication no\n", None),
    ("random.conf", b"\x00\x01binary", None),
])
def test_claims(name: str, head: bytes, kind: str | None) -> None:
    claim = SCANNER.claim(Candidate(f"/x/{name}", name, name, len(head), head))
    assert (claim.kind if claim else None) == kind


def test_binary_and_non_utf8_are_target_errors(tmp_path: Path) -> None:
    nul = tmp_path / "nginx.conf"
    nul.write_bytes(b"http {\x00}")
    with pytest.raises(TargetError, match="NUL byte at offset 6"):
        scan(nul)
    latin = tmp_path / "sshd_config"
    latin.write_bytes(b"Port 22\nBanner caf\xe9\n")
    with pytest.raises(TargetError, match=r"sshd_config:2: not UTF-8 text"):
        scan(latin)


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "sshd_config"
    path.write_bytes(b"\xef\xbb\xbfPermitRootLogin yes\r\nPort 22\r\n")
    root = _ssh(scan(path), "global", "permit_root_login")
    assert (root.attributes["value"], root.location.line) == (True, 1)
    conf = tmp_path / "nginx.conf"
    conf.write_bytes(b"\xef\xbb\xbfhttp {\r\n  server {\r\n    listen 443 ssl;\r\n  }\r\n}\r\n")
    (tls,) = of(scan(conf), "tls.config")
    assert tls.location.line == 2


def test_deterministic(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", NGINX_MAIN)
    write(tmp_path, "sites/a.conf", NGINX_SITE)
    first: list[Any] = scan(main)
    assert first == scan(main)
