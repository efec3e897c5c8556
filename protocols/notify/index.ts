export * from './errors.ts';
export * from './notification.ts';
export * from './render.ts';
export * from './sms-text.ts';
export * from './webhook-signature.ts';
