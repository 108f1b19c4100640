package org.jqat.qat.train;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The largest heap occupancy right after a garbage collection since the last {@link #reset()}:
 * the live set a training step needs, which unlike the heap's high-water mark does not depend on
 * how far the collector lets garbage pile up before it runs (that mark tends to -Xmx).
 */
final class HeapWatch implements AutoCloseable {
    private final AtomicLong maxLive = new AtomicLong(-1);
    private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = this::onGc;

    HeapWatch() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                emitters.add(e);
            }
        }
    }

    private void onGc(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        Map<String, MemoryUsage> after = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData())
                .getGcInfo().getMemoryUsageAfterGc();
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e : after.entrySet()) {
            used += heapPools.contains(e.getKey()) ? e.getValue().getUsed() : 0;
        }
        maxLive.accumulateAndGet(used, Math::max);
    }

    void reset() {
        maxLive.set(-1);
    }

    /** MiB of heap in use after the fullest collection since {@link #reset()}, or −1 when none ran. */
    long maxLiveMiB() {
        long v = maxLive.get();
        return v < 0 ? -1 : v >> 20;
    }

    @Override
    public void close() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (ListenerNotFoundException ignored) {
                // already gone
            }
        }
    }
}
