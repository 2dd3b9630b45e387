"""Short-lived service tokens: the gateway signs (tenant + principal), services verify."""
