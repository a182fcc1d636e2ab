#!/bin/bash
# test_nmap_agreement: svpassive's inventory of a live lab capture (normal mode: see run-lab.sh)
# equals nmap -sV's for every endpoint nmap identifies, except the
# disagreements explained in agreement-expected.tsv; no false identification.
exec bash "$(dirname "$0")/agreement-run.sh" normal "$@"
