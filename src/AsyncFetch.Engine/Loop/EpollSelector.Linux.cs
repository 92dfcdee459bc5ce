using System.Runtime.CompilerServices;
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using static AsyncFetch.Engine.Loop.LinuxInterop;

using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>
    /// Level-triggered epoll. Keys live in a slot table whose index is the epoll data word, so a ready event maps
    /// to its key without a lookup structure. The wakeup is an eventfd registered under a reserved data word.
    /// </summary>
    internal sealed unsafe class EpollSelector : ISelector
    {
        private const ulong WakeupData = ulong.MaxValue;
        private const int MaxEvents = 1024;

        private readonly int _epfd;
        private readonly int _eventFd;
        private readonly IntPtr _events;
        private SelectorKey?[] _slots = new SelectorKey?[64];
        private readonly Stack<int> _freeSlots = new Stack<int>();
        private int _nextSlot;
        private readonly object _wakeLock = new object();
        private int _count;
        private int _disposed;

        public EpollSelector()
        {
            _epfd = epoll_create1(EPOLL_CLOEXEC);
            if (_epfd < 0)
            {
                throw new Win32Exception(Marshal.GetLastWin32Error(), "epoll_create1 failed");
            }

            _eventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (_eventFd < 0)
            {
                int err = Marshal.GetLastWin32Error();
                close(_epfd);
                throw new Win32Exception(err, "eventfd failed");
            }

            _events = Marshal.AllocHGlobal(EpollEventSize * MaxEvents);
            byte* ev = stackalloc byte[16];
            WriteEvent(ev, EPOLLIN, WakeupData);
            Check(epoll_ctl(_epfd, EPOLL_CTL_ADD, _eventFd, ev), "epoll_ctl(eventfd)");
        }

        public string Name => "epoll";

        public int Count => _count;

        /// <summary>True when epoll can be created here (the libc entry points resolve and the kernel has it).</summary>
        internal static bool Probe()
        {
            try
            {
                int fd = epoll_create1(EPOLL_CLOEXEC);
                if (fd < 0)
                {
                    return false;
                }

                close(fd);
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return false;
            }
        }

        public SelectorKey Register(Socket socket, SelectorEvents events, object? data)
        {
            ThrowIfDisposed();
            var key = new SelectorKey(socket, events, data);
            int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
            if (slot >= _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
            }

            int fd = (int)socket.Handle;
            if (events != SelectorEvents.None)
            {
                byte* ev = stackalloc byte[16];
                WriteEvent(ev, ToEpoll(events), (ulong)slot);
                if (epoll_ctl(_epfd, EPOLL_CTL_ADD, fd, ev) != 0)
                {
                    int err = Marshal.GetLastWin32Error();
                    _freeSlots.Push(slot);
                    throw new Win32Exception(err, "epoll_ctl(ADD) failed");
                }
            }
            else if (IsKnownFd(fd))
            {
                _freeSlots.Push(slot);
                throw new Win32Exception(17, "The socket is already registered."); // EEXIST, as epoll_ctl(ADD) would say
            }

            key.Slot = slot;
            key.Fd = fd;
            _slots[slot] = key;
            _count++;
            return key;
        }

        [MethodImpl(Hot.Path)]
        public void Modify(SelectorKey key, SelectorEvents events)
        {
            ThrowIfDisposed();
            CheckOwned(key);
            if (key.Events == events)
            {
                return;
            }

            // A key with no interest is kept out of the kernel's set: epoll reports errors and hang-ups
            // whatever the mask, and a level-triggered error nobody asked about would make Select spin.
            byte* ev = stackalloc byte[16];
            WriteEvent(ev, ToEpoll(events), (ulong)key.Slot);
            if (key.Events == SelectorEvents.None)
            {
                Check(epoll_ctl(_epfd, EPOLL_CTL_ADD, key.Fd, ev), "epoll_ctl(ADD)");
            }
            else if (events == SelectorEvents.None)
            {
                Check(epoll_ctl(_epfd, EPOLL_CTL_DEL, key.Fd, ev), "epoll_ctl(DEL)");
            }
            else
            {
                Check(epoll_ctl(_epfd, EPOLL_CTL_MOD, key.Fd, ev), "epoll_ctl(MOD)");
            }

            key.Events = events;
        }

        public void Unregister(SelectorKey key)
        {
            if (!key.IsRegistered)
            {
                return;
            }

            CheckOwned(key);
            key.IsRegistered = false;
            _slots[key.Slot] = null;
            _freeSlots.Push(key.Slot);
            _count--;
            if (_disposed == 0 && key.Events != SelectorEvents.None)
            {
                byte* ev = stackalloc byte[16];
                epoll_ctl(_epfd, EPOLL_CTL_DEL, key.Fd, ev);
            }
        }

        [MethodImpl(Hot.Path)]
        public int Select(int timeoutMs, List<SelectorReady> ready)
        {
            ThrowIfDisposed();
            ready.Clear();
            byte* events = (byte*)_events;
            int n = epoll_wait(_epfd, events, MaxEvents, timeoutMs < 0 ? -1 : timeoutMs);
            if (n < 0)
            {
                int err = Marshal.GetLastWin32Error();
                if (err == EINTR)
                {
                    return 0;
                }

                throw new Win32Exception(err, "epoll_wait failed");
            }

            for (int i = 0; i < n; i++)
            {
                byte* ev = events + (i * EpollEventSize);
                ulong data = ReadData(ev);
                if (data == WakeupData)
                {
                    DrainWakeup();
                    continue;
                }

                SelectorKey? key = _slots[(int)data];
                if (key == null)
                {
                    continue;
                }

                uint e = ReadEvents(ev);
                SelectorEvents got = SelectorEvents.None;
                if ((e & ~EPOLLOUT) != 0)
                {
                    got |= SelectorEvents.Read; // EPOLLIN, or an error/hang-up the reader will see
                }

                if ((e & ~(EPOLLIN | EPOLLRDHUP)) != 0)
                {
                    got |= SelectorEvents.Write; // EPOLLOUT, or an error the writer will see
                }

                got &= key.Events;
                if (got != SelectorEvents.None)
                {
                    ready.Add(new SelectorReady(key, got));
                }
            }

            return ready.Count;
        }

        [MethodImpl(Hot.Path)]
        public void Wakeup()
        {
            lock (_wakeLock)
            {
                if (_disposed != 0)
                {
                    return; // the eventfd may be closed, and its number reused by someone else
                }

                ulong one = 1;
                write(_eventFd, (byte*)&one, (IntPtr)8); // EAGAIN means a wakeup is already pending
            }
        }

        public void Dispose()
        {
            lock (_wakeLock)
            {
                if (_disposed != 0)
                {
                    return;
                }

                _disposed = 1;
                close(_eventFd);
            }

            foreach (SelectorKey? key in _slots)
            {
                if (key != null)
                {
                    key.IsRegistered = false;
                }
            }

            _count = 0;
            close(_epfd);
            Marshal.FreeHGlobal(_events);
        }

        private void DrainWakeup()
        {
            ulong value;
            read(_eventFd, (byte*)&value, (IntPtr)8);
        }

        private bool IsKnownFd(int fd)
        {
            foreach (SelectorKey? key in _slots)
            {
                if (key != null && key.Fd == fd)
                {
                    return true;
                }
            }

            return false;
        }

        private static uint ToEpoll(SelectorEvents events)
        {
            uint e = 0;
            if ((events & SelectorEvents.Read) != 0)
            {
                e |= EPOLLIN | EPOLLRDHUP;
            }

            if ((events & SelectorEvents.Write) != 0)
            {
                e |= EPOLLOUT;
            }

            return e;
        }

        private void CheckOwned(SelectorKey key)
        {
            if (!key.IsRegistered || key.Slot < 0 || key.Slot >= _slots.Length || !ReferenceEquals(_slots[key.Slot], key))
            {
                throw new InvalidOperationException("The key is not registered with this selector.");
            }
        }

        private void ThrowIfDisposed()
        {
            if (_disposed != 0)
            {
                throw new ObjectDisposedException(nameof(EpollSelector));
            }
        }

        private static void Check(int rc, string what)
        {
            if (rc != 0)
            {
                throw new Win32Exception(Marshal.GetLastWin32Error(), what + " failed");
            }
        }
    }
}
