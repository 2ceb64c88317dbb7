/** Secret names: lower-case letters, digits and `_`, starting with a letter, at most 63. */
export const SECRET_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
