# syntax=docker/dockerfile:1.7
# paygate container image: `docker build -t paygate:local .` (BuildKit, the default builder).
#
# Stage 1 compiles the `paygate` binary. The crates.io registry and cargo's target directory are
# BuildKit cache mounts, so a rebuild after a source change recompiles only the workspace's own
# crates: the dependencies stay compiled in the cache (the "cached dependency layer").
# Stage 2 is Debian slim with the binary alone, run as an unprivileged user, every writable path
# a volume, so the container runs with a read-only root filesystem.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p paygate \
 && install -D -m 0755 target/release/paygate /out/paygate

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# One user and group, 10001, the numeric id the Helm chart's securityContext names as well.
RUN groupadd --system --gid 10001 paygate \
 && useradd --system --uid 10001 --gid paygate --home-dir /var/lib/paygate --shell /usr/sbin/nologin paygate \
 && install -d -o paygate -g paygate -m 0700 /var/lib/paygate /etc/paygate
COPY --from=build /out/paygate /usr/local/bin/paygate
USER 10001:10001
WORKDIR /var/lib/paygate
# /etc/paygate: configuration and key files, mounted from a secret store or volume.
# Writable state (SQLite when no database_url, demo keys, the in-process simulators' journals)
# lives only here; everything else may be read-only.
VOLUME ["/var/lib/paygate"]
ENV PAYGATE_DATA_DIR=/var/lib/paygate \
    PAYGATE_LISTEN=0.0.0.0:8080 \
    PAYGATE_METRICS_LISTEN=0.0.0.0:9464
EXPOSE 8080 9464
# Liveness without curl in the image: bash's /dev/tcp speaks HTTP/1.0 to /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# SIGTERM drains requests in flight (up to 30 s) and exits 0: give `docker stop -t 35`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/paygate"]
CMD ["serve"]
