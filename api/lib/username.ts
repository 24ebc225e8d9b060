/** The username rule of the contract: the one copy every layer (schemas, Redis keys, tools) uses. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{2,31}$/;
