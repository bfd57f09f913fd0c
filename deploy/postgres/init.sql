-- Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d).
-- Each Minilok service owns its own database; the tables are created by `minilok db upgrade`.
CREATE DATABASE meetings OWNER minilok;
CREATE DATABASE indicators OWNER minilok;
CREATE DATABASE notifications OWNER minilok;
