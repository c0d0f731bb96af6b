import { describe, expect, it } from 'vitest';
import { formatTargetUrl, parseTargetUrl, resticRepository } from './target-url.js';

describe('backup target URLs', () => {
  it('reads sftp targets in both spellings and local paths', () => {
    expect(parseTargetUrl('sftp:backup@vault.example.com:/srv/plat')).toEqual({
      kind: 'sftp',
      user: 'backup',
      host: 'vault.example.com',
      port: 22,
      path: '/srv/plat',
    });
    expect(parseTargetUrl('sftp://root@127.0.0.1:2222/srv/plat/')).toEqual({
      kind: 'sftp',
      user: 'root',
      host: '127.0.0.1',
      port: 2222,
      path: '/srv/plat',
    });
    // restic's absolute spelling (two slashes) means the same here.
    expect(parseTargetUrl('sftp://root@host:2222//srv/plat').path).toBe('/srv/plat');
    expect(parseTargetUrl('/mnt/usb/plat')).toEqual({ kind: 'local', path: '/mnt/usb/plat' });
  });

  it('has one spelling per target, and tells restic only the path for sftp', () => {
    expect(formatTargetUrl(parseTargetUrl('sftp://u@h/srv/x'))).toBe('sftp:u@h:/srv/x');
    expect(formatTargetUrl(parseTargetUrl('sftp://u@h:2200/srv/x'))).toBe('sftp://u@h:2200/srv/x');
    expect(resticRepository(parseTargetUrl('sftp://u@h:2200/srv/x'))).toBe('sftp:u@h:/srv/x');
    expect(resticRepository(parseTargetUrl('/srv/x'))).toBe('/srv/x');
  });

  it.each([
    ['', /empty/],
    ['-o ProxyCommand=touch /tmp/x', /may not start with "-"/],
    ['s3:s3.amazonaws.com/bucket', /neither an sftp: target nor an absolute path/],
    ['rest:http://host:8000/', /neither/],
    ['relative/path', /neither/],
    ['sftp:-oProxyCommand=x@host:/p', /user/],
    ['sftp:user@-oProxyCommand=x:/p', /host/],
    ['sftp:us er@host:/p', /sftp target|user/],
    ['sftp:user@host:relative', /must be absolute/],
    ['sftp:user@host:/srv/../etc', /"\.\." parts/],
    ['sftp:user@host:/srv/a b', /plain characters/],
    ["sftp:user@host:/srv/'x'", /plain characters/],
    ['sftp://user@host:70000/srv', /out of range/],
    ['sftp:host:/srv', /not an sftp target/],
    ['/srv/plat\n-x', /plain characters/],
  ])('refuses %j', (url, message) => {
    expect(() => parseTargetUrl(url)).toThrow(message);
  });
});
