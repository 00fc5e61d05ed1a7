# The mediawatch scheduler image (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY mediawatch ./mediawatch
COPY crawlers ./crawlers
COPY nlp ./nlp
COPY indexer ./indexer
COPY config ./config
COPY models ./models
COPY scrapy.cfg ./
RUN pip install -e . && useradd --create-home mediawatch && mkdir /data && chown mediawatch /data
USER mediawatch
ENV MEDIAWATCH_DATA_DIR=/data
CMD ["mediawatch", "schedule"]
