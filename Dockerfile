# paperboy: a small image that runs the bot; the SQLite database lives on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PAPERBOY_DB=/data/paperboy.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && useradd --create-home --uid 10001 paperboy && mkdir -p /data && chown paperboy /data

USER paperboy
VOLUME ["/data"]
# The token comes from the environment at run time: docker run -e DISCORD_TOKEN=... -v paperboy:/data paperboy
ENTRYPOINT ["paperboy"]
CMD ["run"]
