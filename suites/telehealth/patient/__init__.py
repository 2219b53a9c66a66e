"""The patient logs in through an identity provider at the level the referential asks."""
