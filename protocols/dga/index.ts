/** DGA "Monitoreo de Extracciones Efectivas" codecs: pure, no I/O (the clients live in cloud/dga). */
export * from './errors.ts';
export * from './evidence-manifest.ts';
export * from './format.ts';
export * from './measurement.ts';
export * from './obra.ts';
export * from './outcome.ts';
export * from './plausibility.ts';
export * from './rest.ts';
export * from './rut.ts';
export * from './slots.ts';
export * from './soap.ts';
export * from './time.ts';
export * from './volumes.ts';
