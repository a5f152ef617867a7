// Page side of the e2e harness, shared by call-esm.html and call-script.html (a classic script,
// so the script-tag page needs no module support). The page calls
// `RekeyHarness.install(createCall, bundle)` once the SDK is loaded; the test then drives
// `window.startCall(options)` and reads `window.events`.
(function () {
  'use strict';

  var RECORDED_EVENTS = [
    'security',
    'violation',
    'state',
    'rekey',
    'rekeyfailed',
    'close',
    'error',
  ];

  /** @type {{ type: string, at: number, data: unknown }[]} */
  var events = [];
  window.events = events;

  function clone(value) {
    if (value instanceof Error) {
      var plain = { name: value.name, message: value.message };
      for (var key of Object.keys(value)) plain[key] = clone(value[key]);
      return plain;
    }
    if (value === undefined) return null;
    try {
      return JSON.parse(JSON.stringify(value));
    } catch (error) {
      return { unserialisable: String(value), error: String(error) };
    }
  }

  function record(type, data) {
    events.push({ type: type, at: Date.now(), data: clone(data) });
  }

  window.addEventListener('error', function (event) {
    record('page-error', { message: event.message });
  });
  window.addEventListener('unhandledrejection', function (event) {
    record('page-error', {
      message: String((event.reason && event.reason.message) || event.reason),
    });
  });

  // Messages can arrive before this page's startCall (the peer started first): keep them.
  var call = null;
  var inbox = [];
  function deliver(message) {
    try {
      call.receive(message);
    } catch (error) {
      // receive() must never throw (issue 2); make it visible to the test if it does.
      record('receive-threw', error);
    }
  }
  window.__receiveFromPeer = function (message) {
    if (call) deliver(message);
    else inbox.push(message);
  };

  /** A known tone as a real audio track, without getUserMedia. */
  async function toneStream(frequency) {
    var context = new AudioContext();
    var oscillator = context.createOscillator();
    oscillator.frequency.value = frequency;
    var gain = context.createGain();
    gain.gain.value = 0.2;
    var destination = context.createMediaStreamDestination();
    oscillator.connect(gain).connect(destination);
    oscillator.start();
    // Firefox never resolves resume() without a sound server: say so instead of timing out.
    var timer;
    await Promise.race([
      context.resume(),
      new Promise(function (_, reject) {
        timer = setTimeout(function () {
          reject(
            new Error(
              'the AudioContext did not start in 10 s: is a sound server running? ' +
                '(bash scripts/start-pulseaudio.sh)',
            ),
          );
        }, 10000);
      }),
    ]).finally(function () {
      clearTimeout(timer);
    });
    return destination.stream;
  }

  function install(createCall, bundle) {
    window.bundle = bundle;

    window.startCall = async function (options) {
      if (call) throw new Error('startCall: this page already has a call');
      options = Object.assign({}, options);
      var toneHz = options.toneHz || 440;
      delete options.toneHz;
      var localStream = await toneStream(toneHz);
      if (typeof window.__sendToPeer !== 'function') {
        throw new Error('startCall: no signaling relay (relaySignaling) on this page');
      }
      var callOptions = Object.assign(
        {
          send: function (message) {
            window.__sendToPeer(message);
          },
          localStream: localStream,
        },
        options,
      );
      call = createCall(callOptions);
      window.call = call;
      RECORDED_EVENTS.forEach(function (type) {
        call.on(type, function (payload) {
          record(type, payload);
        });
      });
      window.remoteStreamAtConstruction = call.remoteStream;
      document.getElementById('remote').srcObject = call.remoteStream;
      inbox.splice(0).forEach(deliver);

      await call.start();
      return { state: call.state, security: clone(call.security) };
    };

    window.harnessReady = true;
  }

  window.RekeyHarness = { install: install };
})();
