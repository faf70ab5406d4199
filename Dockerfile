# wismo: the stream processor and its tools (wismo run, wismo migrate, ...)
# in one static binary on a distroless base.
#
#   docker build -t wismo .
#   docker run --rm wismo --help
#
# docker-compose.yml builds this image for the pipeline and for the one-shot
# schema migration.

# ---- build ----
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static binary: no cgo, no libc needed at run time.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/wismo ./cmd/wismo

# ---- run ----
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/wismo /usr/local/bin/wismo
# The sample payloads, so that `docker run wismo demo` works.
COPY --from=build /src/testdata/carriers /app/testdata/carriers
USER nonroot:nonroot
# /metrics, /healthz, /readyz of `wismo run` (http.addr).
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/wismo"]
CMD ["run"]
