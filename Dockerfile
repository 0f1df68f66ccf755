# syntax=docker/dockerfile:1
# redlink container image: redlinkd (and redlinkctl) on Debian 12, running as a non-root user.
#
#   docker build -t redlink:dev .
#   docker run --rm -p 50051:50051 -p 9121:9121 -p 6380:6380 -v redlink-data:/var/lib/redlink \
#     redlink:dev --log_format=json
#
# The build stage runs scripts/build-release.sh, the same script CI runs (tests/deploy), so a
# change that would break this build is caught where no Docker engine exists. The runtime stage
# installs exactly the packages in scripts/runtime-packages.txt, the list that
# scripts/check-runtime-libs.sh (run by build-release.sh) checks against `ldd` of the binaries.

ARG DEBIAN_IMAGE=debian:12
ARG RUNTIME_IMAGE=debian:12-slim

# ---------------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
WORKDIR /src
# The build packages in a layer of their own, so editing the source does not repeat apt.
COPY scripts/build-release.sh scripts/check-runtime-libs.sh scripts/runtime-packages.txt scripts/
RUN scripts/build-release.sh --deps-only && rm -rf /var/lib/apt/lists/*
COPY . .
RUN scripts/build-release.sh --build-dir /tmp/build /out/bin

# ---------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
# Only the shared-library packages the binaries load; no compilers, no -dev packages.
# Then a fixed uid/gid (65532, as distroless "nonroot") so the chart's securityContext and
# fsGroup can name it, and a data dir it owns for a plain `docker run` without a volume.
COPY scripts/runtime-packages.txt /tmp/runtime-packages.txt
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends $(sed -e 's/#.*//' /tmp/runtime-packages.txt); \
    rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt; \
    groupadd --system --gid 65532 redlink; \
    useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/redlink --no-create-home \
            --shell /usr/sbin/nologin redlink; \
    install -d -o 65532 -g 65532 -m 0750 /var/lib/redlink

COPY --from=build /out/bin/ /usr/local/bin/
# Fail the image build, not the first pod, if a library is missing from the runtime stage.
RUN for b in /usr/local/bin/redlink*; do if ldd "$b" | grep 'not found'; then exit 1; fi; done

# The binary's defaults listen on 127.0.0.1; in a container every endpoint must be reachable
# from outside. Each REDLINK_<FLAG> is read as the flag; a flag on the command line wins.
ENV REDLINK_GRPC_ADDR=0.0.0.0:50051 \
    REDLINK_METRICS_ADDR=0.0.0.0:9121 \
    REDLINK_RESP_ADDR=0.0.0.0:6380 \
    REDLINK_DATA_DIR=/var/lib/redlink
EXPOSE 50051 9121 6380
VOLUME ["/var/lib/redlink"]
WORKDIR /var/lib/redlink
USER 65532:65532
# The image runs redlinkd only; arguments are its flags (e.g. --log_format=json).
# redlinkctl is in the image too: docker run --entrypoint redlinkctl ...
ENTRYPOINT ["/usr/local/bin/redlinkd"]
