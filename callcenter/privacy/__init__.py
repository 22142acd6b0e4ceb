"""What customers must not leave in our storage: the rules that read card and SSN details from words.

`callcenter.redaction` masks by the digits; the modules here read the words around them.
"""
