# auditor in a container: slim, non-root, no compilers (see README "Container image").
#   docker build -t auditor .
#   docker run --rm -v "$PWD:/scan:ro" auditor scan . --fail-on high
# The build stage only installs wheels (every dependency ships one for CPython 3.11 on
# Linux); the final stage copies the installed packages and nothing else.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY auditor ./auditor
COPY scanners ./scanners
COPY reports ./reports
COPY rules ./rules
RUN pip install --only-binary=:all: --no-binary=auditor --prefix=/install .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="auditor" \
      org.opencontainers.image.description="Offline auditor for personal-data protection and security compliance"
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""
COPY --from=build /install /usr/local
# NOTE: no installer left in the image either: it only runs auditor
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin auditor \
    && python -m pip uninstall --yes pip setuptools wheel
USER 10001:10001
WORKDIR /scan
ENTRYPOINT ["auditor"]
CMD ["--help"]
