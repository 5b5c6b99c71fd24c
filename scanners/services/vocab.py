"""Words a service configuration error may quote back to the user.

A parse error names the file and line and what is wrong. It quotes a word of the file only
when the word is a known directive or section name of that service: a stray line holding
a password (``hunter2`` alone on a line of nginx.conf reads as a directive name) must never
be echoed into logs, reports or the terminal. Anything else is described by its length.
"""

from __future__ import annotations

__all__ = ["APACHE_SECTIONS", "NGINX_WORDS", "SSHD_KEYWORDS"]

NGINX_WORDS = frozenset((
    "http", "server", "location", "upstream", "events", "stream", "mail", "map", "geo",
    "types", "if", "limit_except", "split_clients", "match", "server_name", "listen",
    "root", "alias", "index", "return", "rewrite", "proxy_pass", "fastcgi_pass",
    "uwsgi_pass", "grpc_pass", "include", "error_page", "access_log", "error_log",
    "log_format", "try_files", "add_header", "proxy_set_header", "proxy_http_version",
    "proxy_redirect", "proxy_buffering", "proxy_read_timeout", "client_max_body_size",
    "keepalive_timeout", "sendfile", "tcp_nopush", "tcp_nodelay", "gzip", "gzip_types",
    "worker_processes", "worker_connections", "user", "pid", "default_type", "charset",
    "autoindex", "deny", "allow", "auth_basic", "auth_basic_user_file", "ssl",
    "ssl_protocols", "ssl_ciphers", "ssl_prefer_server_ciphers", "ssl_certificate",
    "ssl_certificate_key", "ssl_session_cache", "ssl_session_timeout",
    "ssl_session_tickets", "ssl_stapling", "ssl_stapling_verify", "ssl_trusted_certificate",
    "ssl_dhparam", "ssl_ecdh_curve", "ssl_conf_command", "ssl_verify_client",
    "ssl_client_certificate", "proxy_ssl_protocols", "proxy_ssl_ciphers",
    "proxy_ssl_verify", "server_tokens", "expires", "set", "limit_req", "limit_conn",
    "limit_req_zone", "limit_conn_zone", "resolver", "http2", "load_module", "env", "daemon",
))

APACHE_SECTIONS = frozenset((
    "virtualhost", "directory", "directorymatch", "files", "filesmatch", "location",
    "locationmatch", "ifmodule", "ifdefine", "ifversion", "ifdirective", "iffile", "proxy",
    "proxymatch", "limit", "limitexcept", "requireall", "requireany", "requirenone", "if",
    "elseif", "else", "macro",
))

SSHD_KEYWORDS = frozenset((
    "port", "listenaddress", "addressfamily", "hostkey", "permitrootlogin",
    "passwordauthentication", "pubkeyauthentication", "permitemptypasswords",
    "challengeresponseauthentication", "kbdinteractiveauthentication", "usepam",
    "x11forwarding", "allowtcpforwarding", "allowagentforwarding", "permittunnel",
    "ciphers", "macs", "kexalgorithms", "hostkeyalgorithms", "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes", "loglevel", "syslogfacility", "maxauthtries", "maxsessions",
    "logingracetime", "clientaliveinterval", "clientalivecountmax", "allowusers",
    "allowgroups", "denyusers", "denygroups", "banner", "printmotd", "printlastlog",
    "subsystem", "acceptenv", "authorizedkeysfile", "strictmodes", "ignorerhosts",
    "hostbasedauthentication", "gssapiauthentication", "kerberosauthentication", "usedns",
    "compression", "tcpkeepalive", "permituserenvironment", "chrootdirectory",
    "forcecommand", "match", "include",
))
