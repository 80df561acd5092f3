#!/bin/sh
# Sample target: the login Gatehouse uses and a table with personal data to mask.
set -eu
psql -v ON_ERROR_STOP=1 -U postgres -d app <<SQL
CREATE ROLE gatehouse_app LOGIN PASSWORD '${GATEHOUSE_APP_PASSWORD}';
CREATE TABLE users (id serial PRIMARY KEY, name text, email text, ssn text);
INSERT INTO users (name, email, ssn) VALUES
  ('Ada Lovelace', 'ada@example.com', '078-05-1120'),
  ('Alan Turing', 'alan@example.com', '219-09-9999');
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON users TO gatehouse_app;
GRANT USAGE ON SEQUENCE users_id_seq TO gatehouse_app;
SQL
