// Types for api-report.mjs, which tests/unit/mwoauth-api.test.ts imports.
export declare const PACKAGE_DIR: string;
export declare const REPORT: string;
export declare const LEDGER: string;
export declare function sha256(text: string): string;
export declare function apiProblems(state: {
  version: string;
  reportChanged: boolean;
  report: string;
  ledger: Record<string, string>;
  changelog: string;
}): string[];
export declare function extractApi(options: {
  write: boolean;
}): Promise<{ reportChanged: boolean; report: string }>;
