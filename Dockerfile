# The headroom binary as a container image, for the storm probe's Cloud Run
# job (headroom:probe.image; docs/probe.md "On Cloud Run Jobs"). Not built by
# the tests; build and push it yourself:
#
#   docker build -t REGION-docker.pkg.dev/PROJECT/headroom/headroom:TAG .
#   docker push REGION-docker.pkg.dev/PROJECT/headroom/headroom:TAG
#
# Stage 1 builds a static binary (no cgo: pgx is pure Go); stage 2 is
# distroless/static, non-root, with CA certificates (sslmode=require to Cloud
# SQL) and nothing else. Keep GO_VERSION in step with go.mod's go directive.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/headroom ./cmd/headroom

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/headroom /headroom
USER nonroot:nonroot
ENTRYPOINT ["/headroom"]
