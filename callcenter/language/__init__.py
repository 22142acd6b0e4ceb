"""Languages as data: what the engine needs to hear and answer a language the flows don't speak.

A business ships one TOML file per language beside its agents (`agents/languages/es.toml` for the
demo): a lexicon for detection, emergency and person-request patterns, the reply texts and the
human queue of people who speak it. `packs.py` reads and checks the files, `detect.py` says which
language a message is in, `turn.py` decides what a turn in such a language gets.
"""
