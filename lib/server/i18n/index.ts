import 'server-only';

export * from './languages';
export * from './messages';
export * from './request';
