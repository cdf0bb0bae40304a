"""Layer 5, transformations and descriptions built on the layers below: migration of legacy
files and the description ``npzcontract show`` prints."""
