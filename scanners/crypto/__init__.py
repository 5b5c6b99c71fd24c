"""Certificates and keys: facts about X.509 certificates, private keys, SSH keys and PKCS#12."""
