"""The one error of the contract: a value the other side wrote that this side
cannot read. The runtime reports it as bad input (exit 2); the compiler never
writes one (its tests decode everything it encodes)."""


class ContractError(ValueError):
    """Malformed env, spec or flag value; the message says where and what."""
