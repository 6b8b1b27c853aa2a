import 'server-only';
import { readConfig } from '../config';
import { AppError } from '../core/errors';
import { checkMessages, MessageFileError } from '../i18n/messages';

/**
 * Stops the process with one message naming every configuration problem (no values), or the
 * message file that is missing or not JSON (i18n/ must be beside the server).
 */
export function checkConfigAtStartup(): void {
  try {
    readConfig(process.env);
    checkMessages();
  } catch (error) {
    if (error instanceof AppError || error instanceof MessageFileError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
