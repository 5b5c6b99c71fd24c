"""Ed25519 signing keys for evidence bundles (``auditor keygen``, ``auditor verify``).

Keys are PEM files: the private key in PKCS#8 (encrypted with the passphrase in
``AUDITOR_SIGNING_KEY_PASSWORD`` when that is set), the public key as
SubjectPublicKeyInfo. The private key file is created with mode 0600 and never
overwritten unless asked. Paths come from options or from the environment:
``AUDITOR_SIGNING_KEY`` (private, for ``scan --evidence``) and ``AUDITOR_VERIFY_KEY``
(public, for ``verify``). A key is named by its id, ``ed25519:`` + the first 16 hex
characters of the SHA-256 of the raw public key.

Trust: ``verify`` trusts only a key the verifier chose — ``--key``, ``AUDITOR_VERIFY_KEY``,
or a ``*.pub`` file in the per-user directory ``$XDG_CONFIG_HOME/auditor/trusted-keys/``
(default ``~/.config/auditor/trusted-keys/``; ``auditor keygen`` registers its key there).
A key file inside the bundle being verified is never trusted (it travels with the bundle,
so a forger controls it).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditor.errors import ConfigError

__all__ = [
    "DEFAULT_PRIVATE_KEY",
    "DEFAULT_PUBLIC_KEY",
    "ENV_PASSWORD",
    "ENV_SIGNING_KEY",
    "ENV_VERIFY_KEY",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "generate_key",
    "is_inside",
    "key_id",
    "load_private_key",
    "load_public_key",
    "public_pem",
    "register_trusted_key",
    "resolve_key_path",
    "trusted_keys",
    "trusted_keys_dir",
    "verify_signature",
    "write_keypair",
]

ENV_SIGNING_KEY = "AUDITOR_SIGNING_KEY"
ENV_VERIFY_KEY = "AUDITOR_VERIFY_KEY"
ENV_PASSWORD = "AUDITOR_SIGNING_KEY_PASSWORD"
DEFAULT_PRIVATE_KEY = "auditor-signing.key"
DEFAULT_PUBLIC_KEY = "auditor-signing.pub"


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def resolve_key_path(option: str | None, env_name: str,
                     env: Mapping[str, str] | None = None, *,
                     default: str | None = None) -> Path | None:
    """The key path from an option, else from the environment variable, else ``default``
    when that file exists (what ``auditor keygen`` wrote in the current directory)."""
    environ = os.environ if env is None else env
    value = option or environ.get(env_name)
    if value:
        return Path(value)
    return Path(default) if default and Path(default).is_file() else None


def trusted_keys_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user directory of trusted verify keys."""
    environ = os.environ if env is None else env
    base = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "auditor" / "trusted-keys"


def trusted_keys(directory: Path, *, exclude: Path | None = None
                 ) -> dict[str, Ed25519PublicKey]:
    """The keys in ``directory`` (``*.pub``, regular files only) by key id, leaving out any
    file that resolves inside ``exclude`` (the bundle). Unreadable or non-Ed25519 files
    are ignored: they cannot vouch for anything."""
    found: dict[str, Ed25519PublicKey] = {}
    try:
        paths = sorted(directory.glob("*.pub"))
    except OSError:
        return found
    for path in paths:
        if exclude is not None and is_inside(path, exclude):
            continue
        try:
            if not path.is_file():
                continue
            key = load_public_key(path)
        except (ConfigError, OSError):
            continue
        found.setdefault(key_id(key), key)
    return found


def is_inside(path: Path, directory: Path) -> bool:
    """Whether ``path`` (links resolved) is ``directory`` or lies under it."""
    return path.resolve().is_relative_to(directory.resolve())


def register_trusted_key(public_key: Ed25519PublicKey,
                         env: Mapping[str, str] | None = None) -> Path:
    """Copy ``public_key`` into the per-user trusted directory as ``<key id>.pub``."""
    directory = trusted_keys_dir(env)
    path = directory / (key_id(public_key).replace(":", "-") + ".pub")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(public_pem(public_key))
    except OSError as exc:
        raise ConfigError(f"{exc.filename or path}: cannot register the key as trusted: "
                          f"{exc.strerror}") from None
    return path


def _password(env: Mapping[str, str] | None) -> bytes | None:
    environ = os.environ if env is None else env
    value = environ.get(ENV_PASSWORD)
    return value.encode("utf-8") if value else None


def write_keypair(key: Ed25519PrivateKey, private_path: Path, public_path: Path, *,
                  force: bool = False, env: Mapping[str, str] | None = None) -> None:
    """Write the private key (mode 0600) and public key; refuse to overwrite unless
    ``force``. A :class:`ConfigError` names the path that could not be written."""
    password = _password(env)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                encryption)
    for path in (private_path, public_path):
        if path.exists() and not force:
            raise ConfigError(f"{path}: already exists (use --force to replace it)")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if force else os.O_EXCL)
    try:
        private_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(private_path, flags, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private)
        os.chmod(private_path, 0o600)  # NOTE: O_CREAT's mode is ignored for existing files
        public_path.parent.mkdir(parents=True, exist_ok=True)
        public_path.write_bytes(public_pem(key.public_key()))
    except OSError as exc:
        raise ConfigError(f"{exc.filename or private_path}: cannot write key: "
                          f"{exc.strerror}") from None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror}") from None


def load_private_key(path: Path, env: Mapping[str, str] | None = None) -> Ed25519PrivateKey:
    data = _read(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=_password(env))
    except (ValueError, TypeError) as exc:
        # NOTE: cryptography's messages say what is wrong (bad PEM, wrong password)
        # without including key material.
        raise ConfigError(f"{path}: not a usable PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: not an Ed25519 private key "
                          f"({type(key).__name__.lstrip('_')})")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    return _parse_public(_read(path, "verify key"), str(path))


def _parse_public(data: bytes, name: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ConfigError(f"{name}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{name}: not an Ed25519 public key")
    return key


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
