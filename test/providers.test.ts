// Its own file, so its own process: the first engine of the process asks for a GPU provider, as a user's would.
import { describe, expect, it } from 'vitest';
import { availableProviders, loadClassifier } from '../lib/index.js';
import { fixture } from './helpers.js';

describe('execution providers', () => {
  it('GPU providers fail with a typed error naming the missing library where absent, even first in a process', async () => {
    for (const executionProvider of ['cuda', 'tensorrt'] as const) {
      const result = await loadClassifier(fixture('tiny-bert'), { executionProvider }).then(
        (c) => c.dispose().then(() => 'loaded'),
        (e) => e,
      );
      if (result === 'loaded') continue; // a machine with the provider installed
      expect(result).toMatchObject({ name: 'ProviderUnavailableError', code: 'ERR_PROVIDER_UNAVAILABLE' });
      expect(result.message).toMatch(/libonnxruntime_providers_(cuda|tensorrt|shared)\.so/);
      expect(result.message).toMatch(/npm run doctor/);
      expect(result.message).not.toMatch(/DefaultLogger/); // the environment must exist before the provider is appended
    }
  });

  it('cpu always works and is listed', async () => {
    expect(availableProviders()).toContain('CPUExecutionProvider');
    const clf = await loadClassifier(fixture('tiny-bert'), { executionProvider: 'cpu' });
    expect((await clf.classify('fine')).scores).toHaveLength(2);
    await clf.dispose();
  });
});
