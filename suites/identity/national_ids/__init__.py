"""Checks `identity.national_ids.*`: national identifiers of professionals and structures."""
