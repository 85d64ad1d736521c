# One image for every process of the platform; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TODO_VAR_DIR=/var/lib/todo BIND_HOST=0.0.0.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
RUN pip install --no-cache-dir . \
 && useradd --system --create-home todo \
 && mkdir -p /var/lib/todo && chown todo /var/lib/todo
USER todo
EXPOSE 8001 8002 8003
CMD ["todo", "--help"]
