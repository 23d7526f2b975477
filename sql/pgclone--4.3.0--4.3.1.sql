-- The original pgclone 4.3.0 -> 4.3.1: its SQL objects did not change (only
-- its C library did), so there is nothing to do here.  This step exists so
-- that ALTER EXTENSION pgclone UPDATE finds a path from every original
-- release whose objects equal 4.4.2's to ours (pgclone--4.4.2--1.1.sql).
\echo Use "ALTER EXTENSION pgclone UPDATE" to load this file. \quit
