"""INSi: what the system asks the INSi teleservice and what it does with the answers."""
