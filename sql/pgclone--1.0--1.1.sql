-- pgclone 1.0 -> 1.1 upgrade: every change of the SQL surface since 1.0, in
-- the order the install script of 1.1 makes it.
\echo Use "ALTER EXTENSION pgclone UPDATE TO '1.1'" to load this file. \quit
