-- The bot's database and its two roles, with least privilege (README: PostgreSQL). Run it
-- once as a superuser (or a role with CREATEROLE and CREATEDB), naming the roles and the
-- database:
--   psql -v owner=feedback_owner -v bot=feedback_bot -v database=feedback -f postgresql-roles.sql
-- then give each role its password (psql hashes it before sending it):
--   \password feedback_owner
--   \password feedback_bot
--
-- The owner role owns the database and its tables: it runs `feedback-bot migrate-schema`
-- (once after installing, and after each upgrade) and `feedback-bot migrate --to`. The bot's
-- role may only connect and read and write the tables: it cannot create, alter or drop any,
-- and `feedback-bot run` checks at start-up that it may read and write every one.
\set ON_ERROR_STOP on
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE :"bot" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE :"database" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"owner";
GRANT CONNECT ON DATABASE :"database" TO :"bot";
\connect :"database"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"bot";
-- Every table the owner creates, now and in later migrations, is the bot's to read and write.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"bot";
