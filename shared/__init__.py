"""motcua: queue tickets, counters and hall displays for one-stop service centers."""
