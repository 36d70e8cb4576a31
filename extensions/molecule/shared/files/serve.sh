#!/bin/sh
# A real server's services in the lab, started by one command (each podman exec costs
# seconds in the emulated test VM): the page that names this host, then a web server,
# an echo server (PORT:echo) or a UDP server that answers with the name (PORT:udp), on
# each port. The web server binds "::" so that it answers over IPv4 and IPv6 alike.
#   sh /lab/bin/serve.sh NAME PORT[:echo|:udp]...
set -e
name=$1
shift
mkdir -p /srv/lab
echo "$name" > /srv/lab/index.html
for spec in "$@"; do
  case $spec in
    *:echo) python3 /lab/bin/echo.py "${spec%:echo}" & ;;
    *:udp) python3 /lab/bin/name_udp.py "${spec%:udp}" "$name" & ;;
    *) python3 -m http.server "$spec" --bind :: --directory /srv/lab & ;;
  esac
done
wait
