"""The printed prescription (PDF) the system hands to the patient."""
