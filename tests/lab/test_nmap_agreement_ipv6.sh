#!/bin/bash
# test_nmap_agreement_ipv6: svpassive's inventory of a live lab capture (ipv6 mode: see run-lab.sh)
# equals nmap -sV's for every endpoint nmap identifies, except the
# disagreements explained in agreement-expected.tsv; no false identification.
exec bash "$(dirname "$0")/agreement-run.sh" ipv6 "$@"
