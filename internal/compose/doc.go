// Package compose holds the tests of the repository's docker-compose.yml and
// Dockerfile: no Docker engine is needed to check that the services, ports,
// healthchecks and start order are what the deployment relies on.
package compose
