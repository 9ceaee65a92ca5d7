# The bot's image, for compose.yaml. Not built here (this machine runs no container engine);
# tests/test_compose.py checks compose.yaml's structure, and .ci/wheel-smoke the wheel it installs.
FROM python:3.11-slim
# A fixed uid, so that secret files can be given to it (README: Containers).
RUN useradd --system --uid 10001 --create-home --shell /usr/sbin/nologin bot
COPY . /src
RUN python -m pip install --no-cache-dir /src && rm -rf /src
USER bot
WORKDIR /home/bot
CMD ["feedback-bot", "run", "--config", "/etc/feedback-bot/config.toml"]
