"""Checks `mss.sending.*`: what the system sends through its MSSanté operator, judged by the simulator."""
