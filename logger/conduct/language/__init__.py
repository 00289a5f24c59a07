"""Reading collectors' language: words (`tokens`), lexicons as data (`model`) and matching
their patterns in a sentence (`match`). `logger.conduct.lexicon` is the interface the rule
checks use."""
