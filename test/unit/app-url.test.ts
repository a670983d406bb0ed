import { describe, expect, it } from 'vitest';
import { externalUrl, isAppUrl } from '../../electron/main/app-url';

const index = '/opt/ISO Lab/resources/app.asar/out/renderer/index.html';

describe('isAppUrl', () => {
  it('accepts the app page, with or without a hash or query', () => {
    const url = new URL(`file://${index}`).href;
    expect(isAppUrl(url, index)).toBe(true);
    expect(isAppUrl(`${url}#/status`, index)).toBe(true);
  });
  it('refuses everything else', () => {
    for (const u of [
      'https://example.com/',
      `file://${index}.evil`,
      'file:///etc/passwd',
      `file://evil-host${index}`,
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect(isAppUrl(u, index), u).toBe(false);
    }
  });
});

describe('externalUrl', () => {
  it('lets only http(s) out', () => {
    expect(externalUrl('https://minikube.sigs.k8s.io/docs/')?.hostname).toBe('minikube.sigs.k8s.io');
    expect(externalUrl('http://localhost:8080/')).toBeDefined();
    for (const u of ['file:///etc/passwd', 'javascript:alert(1)', 'vscode://x', 'smb://host/share', '']) {
      expect(externalUrl(u), u).toBeUndefined();
    }
  });
});
