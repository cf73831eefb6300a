# syntax=docker/dockerfile:1
#
# lookout as a container image: one static binary (no cgo) on distroless,
# running as an unprivileged user. Build from the repository root:
#
#   docker build -t lookout:v1.2.3 --build-arg VERSION=v1.2.3 .
#   docker run --env-file deploy/lookout.env -p 8080:8080 \
#     -v lookout-data:/var/lib/lookout lookout:v1.2.3
#
# There is no HEALTHCHECK: the image has no shell and no curl, and lookout has
# no health subcommand. Probe over HTTP instead: GET /healthz (liveness: the
# process serves) and GET /readyz (readiness: the database answers), as
# deploy/kubernetes/deployment.yaml does. See docs/operations.md.
#
# deploy/deploy_test.go checks this file against the code: the build command,
# the user, the port and every ENV name.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
# third_party/ holds the patched go-sdk that go.mod's replace points at.
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
# CGO_ENABLED=0 makes a static binary (the SQLite driver is pure Go), so the
# runtime image needs no libc. Cross-compiles for --platform without emulation.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X github.com/lookout-hq/lookout/internal/version.Version=${VERSION}" \
      -o /out/lookout ./cmd/lookout
# The directory of the SQLite default, owned by the user the image runs as.
# Distroless has no shell to create it, so it is made here and copied as an
# entry of /out/state (a directory COPY creates itself would belong to root).
RUN mkdir -p /out/state/lookout && chmod 0700 /out/state/lookout

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lookout /usr/local/bin/lookout
COPY --from=build --chown=65532:65532 /out/state/ /var/lib/
WORKDIR /var/lib/lookout
# 65532 is distroless's "nonroot". Numeric, so that Kubernetes' runAsNonRoot
# can check it without reading /etc/passwd.
USER 65532:65532
# One replica on SQLite in the volume below; set DATABASE_URL=postgres://...
# to run several (docs/operations.md, Scaling out).
ENV LOOKOUT_ADDR=:8080 \
    DATABASE_URL=sqlite:///var/lib/lookout/lookout.db
EXPOSE 8080
VOLUME ["/var/lib/lookout"]
ENTRYPOINT ["/usr/local/bin/lookout"]
CMD ["serve"]
