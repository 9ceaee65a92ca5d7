#!/bin/sh
# Run once by the postgres image when it creates its data folder (compose.yaml): the bot's
# database and roles (postgresql-roles.sql), then each role's password from its secret.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner=feedback_owner -v bot=feedback_bot -v database=feedback \
    -f /etc/feedback-bot/postgresql-roles.sql
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$(cat /run/secrets/owner_password)" \
    -v bot_password="$(cat /run/secrets/bot_password)" <<'SQL'
ALTER ROLE feedback_owner PASSWORD :'owner_password';
ALTER ROLE feedback_bot PASSWORD :'bot_password';
SQL
