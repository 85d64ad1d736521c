"""Tools that run the platform's pieces outside production, for the tests, `bench/` and `drills/`.

- `infra`: fresh PostgreSQL databases with a service's migrations and private RabbitMQ vhosts,
  dropped after use, so runs can go in parallel and beside `make run`;
- `bus`: relays and consumers run in threads, and what reached a queue;
- `stack`: the whole platform as `make run` starts it, on given databases and free ports.

Test-only helpers (example data, assertions, fixtures' building blocks) live in `tests/support/`.
"""
