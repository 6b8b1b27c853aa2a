import 'server-only';
import { readConfig } from '../config';
import { AppError } from '../core/errors';

/** Stops the process with one message naming every configuration problem (no values). */
export function checkConfigAtStartup(): void {
  try {
    readConfig(process.env);
  } catch (error) {
    if (error instanceof AppError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
