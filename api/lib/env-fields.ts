/**
 * Building blocks of the env schemas (api/env.ts, api/lib/server-limits.ts,
 * api/auth/auth-env.ts): one rule for "set but empty" and one for integers,
 * so every variable reports the same kind of message.
 */
import { z } from "zod";

/** `FOO=` in a shell or a Compose file means "not set": use the default. */
export const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

/**
 * A decimal integer from `min` to `max` with a default; `unit` reads in the
 * message ("must be an integer number of seconds from 0 to 300").
 */
export const envInteger = (min: number, max: number, unit: string, fallback: number) => {
  const message = `must be an integer ${unit}from ${min} to ${max}`;
  return z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^\d{1,9}$/, message)
      .transform(Number)
      .refine((value) => value >= min && value <= max, message)
      .default(fallback),
  );
};
