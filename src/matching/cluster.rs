//! Clustering matched pairs into persons: union-find with path halving; the smallest index of a set is its
//! root, so the clusters do not depend on the order the pairs come in.

/// Disjoint sets over `0..n`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi as usize] = lo;
        }
    }
}

/// The clusters of two or more members that `pairs` join, each sorted, in order of their smallest member.
pub fn clusters(n: usize, pairs: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut uf = UnionFind::new(n);
    let mut touched: Vec<u32> = Vec::with_capacity(pairs.len() * 2);
    for &(a, b) in pairs {
        uf.union(a, b);
        touched.extend([a, b]);
    }
    touched.sort_unstable();
    touched.dedup();
    let mut by_root: Vec<(u32, u32)> = touched.iter().map(|&x| (uf.find(x), x)).collect();
    by_root.sort_unstable();
    by_root
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| g.len() > 1)
        .map(|g| g.iter().map(|e| e.1).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_join_transitively_in_any_order() {
        let a = clusters(8, &[(5, 6), (1, 2), (6, 7), (2, 3)]);
        let b = clusters(8, &[(6, 7), (2, 3), (5, 6), (1, 2)]);
        assert_eq!(a, vec![vec![1, 2, 3], vec![5, 6, 7]]);
        assert_eq!(a, b);
        assert!(clusters(3, &[]).is_empty());
    }
}
