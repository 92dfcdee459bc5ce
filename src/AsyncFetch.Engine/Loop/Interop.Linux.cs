using System;
using System.Runtime.InteropServices;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>The few libc calls the epoll selector needs. Linux only; probed before use.</summary>
    internal static unsafe class LinuxInterop
    {
        private const string Libc = "libc";

        internal const int EPOLL_CLOEXEC = 0x80000;
        internal const int EPOLL_CTL_ADD = 1;
        internal const int EPOLL_CTL_DEL = 2;
        internal const int EPOLL_CTL_MOD = 3;
        internal const uint EPOLLIN = 0x001;
        internal const uint EPOLLOUT = 0x004;
        internal const uint EPOLLERR = 0x008;
        internal const uint EPOLLHUP = 0x010;
        internal const uint EPOLLRDHUP = 0x2000;
        internal const int EFD_CLOEXEC = 0x80000;
        internal const int EFD_NONBLOCK = 0x800;
        internal const int EINTR = 4;
        internal const int EAGAIN = 11;

        // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
        internal static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
        internal static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

        [DllImport(Libc, SetLastError = true)]
        internal static extern int epoll_create1(int flags);

        [DllImport(Libc, SetLastError = true)]
        internal static extern int epoll_ctl(int epfd, int op, int fd, byte* ev);

        [DllImport(Libc, SetLastError = true)]
        internal static extern int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

        [DllImport(Libc, SetLastError = true)]
        internal static extern int eventfd(uint initval, int flags);

        [DllImport(Libc, SetLastError = true)]
        internal static extern IntPtr read(int fd, byte* buf, IntPtr count);

        [DllImport(Libc, SetLastError = true)]
        internal static extern IntPtr write(int fd, byte* buf, IntPtr count);

        [DllImport(Libc, SetLastError = true)]
        internal static extern int close(int fd);

        internal static void WriteEvent(byte* ev, uint events, ulong data)
        {
            *(uint*)ev = events;
            *(ulong*)(ev + EpollDataOffset) = data;
        }

        internal static uint ReadEvents(byte* ev) => *(uint*)ev;

        internal static ulong ReadData(byte* ev) => *(ulong*)(ev + EpollDataOffset);
    }
}
